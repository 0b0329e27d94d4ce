import { createApp } from 'vue';
import App from './App.vue';
import { configureBackend } from './backend';
import './index.css';

const categories = configureBackend();

createApp(App, { categories }).mount('#app');
